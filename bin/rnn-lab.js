#!/usr/bin/env node
// The package's command: the bundled CLI lives in dist/ (npm run build).
require("../dist/cli.js");
