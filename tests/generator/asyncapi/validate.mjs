// usage: node validate.mjs FILE — prints the parser's diagnostics as JSON; exit 1 on errors.
import { readFileSync } from "node:fs";
import { Parser, DiagnosticSeverity } from "@asyncapi/parser";

const text = readFileSync(process.argv[2], "utf8");
const parser = new Parser();
const { document, diagnostics } = await parser.parse(text);
const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
console.log(JSON.stringify({
  valid: document !== undefined && errors.length === 0,
  version: document ? document.version() : null,
  channels: document ? document.channels().all().map((c) => c.address()) : [],
  errors: errors.map((d) => ({ code: d.code, message: d.message, path: d.path })),
}));
process.exit(document !== undefined && errors.length === 0 ? 0 : 1);
