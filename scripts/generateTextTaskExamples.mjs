// The example data sets of the classify / tag / segment tasks (docs/text-tasks.md), written into
// media/examples/ so that every command can be tried on a fresh install. Deterministic (a seeded
// generator): running it again writes the same bytes. Sources:
//   sentence-mood.csv      sentences of the bundled Tiny Shakespeare (public domain) labelled by the mark
//                          that ended them (question, exclamation, statement), the mark removed
//   shakespeare-names.conll  lines of the same corpus with the characters' names tagged B-PER / I-PER
//                          (the names: the corpus's one-word speaker headings that also occur in its lines)
//   chinese-sentences.txt / chinese-sentences.val.txt  Chinese sentences generated here from a hand-written
//                          grammar and word list (so the word boundaries are known exactly), words
//                          separated by spaces (the SIGHAN convention)
// Run: node scripts/generateTextTaskExamples.mjs

import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "media", "examples");
mkdirSync(out, { recursive: true });
const corpus = readFileSync(join(root, "media", "corpus", "tinyshakespeare.txt"), "utf8");

function mulberry32(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = mulberry32(15);
const pick = (xs) => xs[Math.floor(rand() * xs.length)];
function shuffle(xs) {
  for (let i = xs.length - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); [xs[i], xs[j]] = [xs[j], xs[i]]; }
  return xs;
}

// ---- speeches: "NAME:\nline\nline\n\n"
const speeches = corpus.split(/\n\n+/).map((block) => {
  const lines = block.split("\n");
  return { speaker: lines[0].replace(/:$/, ""), lines: lines.slice(1).filter((l) => l.trim() !== "") };
}).filter((s) => s.lines.length > 0);

// ---- 1. sentence mood (classification, CSV with quoted fields)
const sentences = { question: [], exclamation: [], statement: [] };
const seen = new Set();
for (const s of speeches) {
  const text = s.lines.join(" ").replace(/\s+/g, " ");
  for (const m of text.matchAll(/[^.?!]+[.?!]/g)) {
    const raw = m[0].trim();
    const body = raw.slice(0, -1).trim().replace(/^[-,;:' ]+/, "");
    if (body.length < 12 || body.length > 120 || seen.has(body)) continue;
    seen.add(body);
    const mark = raw[raw.length - 1];
    sentences[mark === "?" ? "question" : mark === "!" ? "exclamation" : "statement"].push(body);
  }
}
const perClass = { question: 900, exclamation: 600, statement: 1500 }; // skewed on purpose (--class-weights balanced)
const moodRows = [];
for (const [label, list] of Object.entries(sentences)) for (const text of shuffle(list).slice(0, perClass[label])) moodRows.push({ text, label });
shuffle(moodRows);
const csvField = (s) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
const moodTest = moodRows.splice(0, 400);
const writeCsv = (file, rows) => writeFileSync(join(out, file), "text,label\n" + rows.map((r) => `${csvField(r.text)},${r.label}`).join("\n") + "\n");
writeCsv("sentence-mood.csv", moodRows);
writeCsv("sentence-mood.test.csv", moodTest);

// ---- 2. names in lines (tagging, CoNLL: character TAB tag, a blank line between lines)
const ROLES = new Set(["ALL", "CLOWN", "SERVANT", "NURSE", "PROVOST", "KING", "QUEEN", "DUKE", "LORD", "LADY", "MESSENGER", "CITIZEN", "SENATOR", "OFFICER",
  "PAGE", "WATCHMAN", "GAOLER", "MARINER", "BOTH", "SHEPHERD", "SERVINGMAN", "MAYOR", "KEEPER", "GARDENER", "SOLDIER", "TUTOR", "WIDOW", "PEDANT", "BOATSWAIN",
  "MASTER", "CAPTAIN", "GENTLEMAN", "PRINCE", "BISHOP", "ABBOT", "PRIEST", "CARDINAL", "NOBLEMAN", "LIEUTENANT", "MUSICIAN", "PATRICIAN", "AEDILE", "HERALD", "FRIAR"]);
const headCounts = new Map();
for (const s of speeches) if (/^[A-Z]{4,}$/.test(s.speaker) && !ROLES.has(s.speaker)) headCounts.set(s.speaker, (headCounts.get(s.speaker) ?? 0) + 1);
const bodyLines = speeches.flatMap((s) => s.lines);
const names = [...headCounts.entries()].filter(([, n]) => n >= 10).map(([h]) => h[0] + h.slice(1).toLowerCase())
  .filter((n) => bodyLines.filter((l) => new RegExp(`\\b${n}\\b`).test(l)).length >= 5).sort();
const nameRe = new RegExp(`\\b(${names.join("|")})\\b`, "g");
const withName = [], without = [];
for (const l of new Set(bodyLines)) {
  const line = l.trim();
  if (line.length < 8 || line.length > 90) continue;
  (nameRe.test(line) ? withName : without).push(line);
  nameRe.lastIndex = 0;
}
const tagLines = shuffle([...shuffle(withName).slice(0, 900), ...shuffle(without).slice(0, 900)]); // half the lines name someone
function bioTags(line) {
  const tags = Array.from(line, () => "O");
  for (const m of line.matchAll(nameRe)) for (let i = 0; i < m[0].length; i++) tags[m.index + i] = i === 0 ? "B-PER" : "I-PER";
  return tags; // the names are ASCII: code points and UTF-16 indices agree
}
const conll = (lines) => lines.map((line) => Array.from(line).map((c, i) => `${c}\t${bioTags(line)[i]}`).join("\n")).join("\n\n") + "\n";
const tagTest = tagLines.splice(0, Math.round(tagLines.length * 0.15));
writeFileSync(join(out, "shakespeare-names.conll"), conll(tagLines));
writeFileSync(join(out, "shakespeare-names.test.conll"), conll(tagTest));

// ---- 3. Chinese sentences (segmentation), generated from a grammar whose words are known
const W = {
  time: ["今天", "明天", "昨天", "早上", "晚上", "现在", "去年", "周末", "下午", "星期天"],
  who: ["我", "你", "他", "她", "我们", "老师", "学生", "妈妈", "朋友", "小明", "医生", "孩子们", "爷爷", "同学们", "工程师"],
  adv: ["常常", "已经", "也", "都", "很少", "不", "一起", "马上", "终于", "还"],
  // words that are also the first character of longer ones (学 / 学习, 看 / 看见, 书 / 书店): where a word ends is read off what follows
  verb: ["去", "看", "看见", "喜欢", "学", "学习", "买", "吃", "读", "写", "参观", "准备", "打扫", "讨论", "研究", "介绍", "想念", "开", "开始"],
  thing: ["书", "书店", "天气", "中文", "中国菜", "电", "电影", "苹果", "中文", "晚饭", "作业", "房间", "问题", "报纸", "自行车", "数学", "历史", "音乐会", "飞机票", "计算机", "图书馆", "博物馆", "茶"],
  place: ["学校", "书店", "中国", "家", "家里", "公园", "医院", "北京", "上海", "商店", "图书馆", "火车站", "办公室"],
  adj: ["高兴", "忙", "累", "漂亮", "便宜", "有意思", "重要", "安静", "热闹", "困难"],
  measure: [["一", "本"], ["两", "个"], ["三", "张"], ["几", "杯"]],
};
function sentence() {
  const s = [];
  const add = (...ws) => s.push(...ws);
  switch (Math.floor(rand() * 5)) {
    case 0: if (rand() < 0.6) add(pick(W.time)); add(pick(W.who)); if (rand() < 0.5) add(pick(W.adv)); add(pick(W.verb), pick(W.thing)); break;
    case 1: add(pick(W.who), "在", pick(W.place), pick(W.verb), pick(W.thing)); break;
    case 2: add(pick(W.time), pick(W.place), "很", pick(W.adj)); break;
    case 3: { const [n, m] = pick(W.measure); add(pick(W.who), "想", pick(W.verb), n, m, pick(W.thing)); break; }
    default: add(pick(W.who), "觉得", pick(W.thing), "很", pick(W.adj)); break;
  }
  if (rand() < 0.3) add("，", pick(W.who), pick(W.adv), pick(W.verb), pick(W.thing));
  add(rand() < 0.15 ? "吗" : "", rand() < 0.15 ? "？" : "。");
  return s.filter((w) => w !== "").join(" ");
}
const zh = [...new Set(Array.from({ length: 4000 }, sentence))];
const zhVal = zh.splice(0, 400), zhTest = zh.splice(0, 400);
writeFileSync(join(out, "chinese-sentences.txt"), zh.join("\n") + "\n");
writeFileSync(join(out, "chinese-sentences.val.txt"), zhVal.join("\n") + "\n");
writeFileSync(join(out, "chinese-sentences.test.txt"), zhTest.join("\n") + "\n");

process.stdout.write(`sentence mood: ${moodRows.length} + ${moodTest.length} test (${Object.entries(sentences).map(([k, v]) => `${k} ${v.length} found`).join(", ")})\n`
  + `names: ${names.length} names (${names.slice(0, 6).join(", ")}, …), ${tagLines.length} + ${tagTest.length} test lines\n`
  + `chinese: ${zh.length} + ${zhVal.length} validation + ${zhTest.length} test sentences\n`);
