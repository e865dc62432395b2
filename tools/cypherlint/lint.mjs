// Lint Cypher statements as Neo4j Cypher 5 with Neo4j's own front end
// (@neo4j-cypher/language-support, pinned in package.json / package-lock.json).
//
// stdin:  JSON [{"id": "...", "source": "file:line", "text": "..."}, ...]
// stdout: JSON {"checked": N, "diagnostics": [{id, source, level, severity, message, line, col}]}
//         line/col are 1-based positions inside the statement text.
// exit:   0 no failing diagnostic, 1 at least one (level "error"), 2 bad input or internal failure.
//
// Policy (docs/cypher-lint.md): severity Error fails; a Warning that reports a
// deprecated feature fails too (Neo4j removes deprecated features in the next
// Cypher version, and our statements must keep running on the production path);
// any other Warning is reported with level "warning" and does not fail.
// Parameters are never errors: each statement's parameter names are passed in.
// A text holding more than one statement fails (drivers send one per call).

import { createRequire } from 'node:module';

// The package's ESM build uses extension-less imports that Node cannot load,
// so load its CommonJS build.
const require = createRequire(import.meta.url);
const { lintCypherQuery, parseParameters, parserWrapper, testData } =
  require('@neo4j-cypher/language-support');

const VERSION = 'CYPHER 5';
const SEVERITY = { 1: 'error', 2: 'warning', 3: 'information', 4: 'hint' };
const DEPRECATED_TAG = 2; // vscode-languageserver DiagnosticTag.Deprecated

// Function and procedure catalogue: without one, the front end accepts calls to
// functions that do not exist. The package records the catalogue of a Neo4j 5
// server (SHOW FUNCTIONS / SHOW PROCEDURES); keep the engine's own functions and
// db.* / dbms.* / tx.* procedures and drop plugins (APOC, GDS) and CDC, which a
// neo4j:5-community server does not have.
function catalogue() {
  const functions = Object.fromEntries(
    Object.entries(testData.mockSchema.functions[VERSION]).filter(([, f]) => f.isBuiltIn),
  );
  const procedures = Object.fromEntries(
    Object.entries(testData.mockSchema.procedures[VERSION]).filter(([name]) =>
      /^(db|dbms|tx)\./.test(name),
    ),
  );
  if (Object.keys(functions).length < 50 || !functions.date || !procedures['db.labels']) {
    throw new Error('the installed @neo4j-cypher/language-support has no usable function catalogue');
  }
  return { functions: { [VERSION]: functions }, procedures: { [VERSION]: procedures } };
}

function statementCount(text) {
  return parserWrapper
    .parse(text, false)
    .statementsParsing.filter((s) => s.command.type === 'cypher' && s.command.statement.trim().length > 0)
    .length;
}

function lintOne(item, known) {
  const { id, source, text } = item;
  const out = [];
  const push = (level, severity, message, line, col) =>
    out.push({ id, source, level, severity, message, line, col });

  if (typeof text !== 'string' || text.trim() === '') {
    push('error', 'error', 'empty statement', 1, 1);
    return out;
  }
  const parameters = Object.fromEntries(parseParameters(text, false).map((name) => [name, null]));
  const diagnostics = lintCypherQuery(text, {
    defaultLanguage: VERSION,
    parameters,
    functions: known.functions,
    procedures: known.procedures,
  });
  for (const d of diagnostics) {
    const severity = SEVERITY[d.severity] ?? 'error';
    const deprecated = (d.tags ?? []).includes(DEPRECATED_TAG) || /deprecated/i.test(d.message);
    const level = severity === 'error' || (severity === 'warning' && deprecated) ? 'error' : 'warning';
    push(level, severity, d.message, d.range.start.line + 1, d.range.start.character + 1);
  }
  const n = statementCount(text);
  if (n > 1) {
    push('error', 'error', `${n} statements in one text: send one statement per call`, 1, 1);
  }
  return out;
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

async function main() {
  let items;
  try {
    items = JSON.parse(await readStdin());
    if (!Array.isArray(items)) throw new Error('expected a JSON array');
  } catch (err) {
    process.stderr.write(`cypherlint: bad input on stdin: ${err.message}\n`);
    return 2;
  }
  const known = catalogue();
  const diagnostics = items.flatMap((item) => lintOne(item, known));
  process.stdout.write(JSON.stringify({ checked: items.length, diagnostics }) + '\n');
  return diagnostics.some((d) => d.level === 'error') ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`cypherlint: ${err.stack ?? err}\n`);
    process.exitCode = 2;
  },
);
