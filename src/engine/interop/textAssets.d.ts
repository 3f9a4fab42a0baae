// Files bundled as text by esbuild (loader "text"): the exported PyTorch project's sources.
declare module "*.py" {
  const text: string;
  export default text;
}
