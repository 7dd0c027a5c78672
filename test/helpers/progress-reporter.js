// A Jest reporter: one line per test file as it finishes, with the count, the time and the tests
// that failed by name (`summary`, listed after it in jest.config.js, prints the failures in full at
// the end). Plain CommonJS: Jest loads reporters untransformed.
const path = require('node:path');

class ProgressReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
    this.done = 0;
    this.total = 0;
    this.started = Date.now();
  }

  onRunStart(results) {
    this.total = results.numTotalTestSuites;
  }

  onTestResult(test, result) {
    this.done += 1;
    const failed = result.numFailingTests > 0 || result.testExecError !== undefined;
    const seconds = ((result.perfStats.end - result.perfStats.start) / 1000).toFixed(1);
    const elapsed = Math.round((Date.now() - this.started) / 1000);
    const file = path.relative(this.rootDir, test.path);
    const width = String(this.total).length;
    const lines = [
      `[${String(this.done).padStart(width)}/${this.total}] ${failed ? 'FAIL' : 'PASS'} ${file} (${seconds} s, ${elapsed} s in)`,
    ];
    for (const assertion of result.testResults) {
      if (assertion.status === 'failed') lines.push(`      ✕ ${assertion.fullName}`);
    }
    if (result.testExecError) lines.push(`      ✕ ${result.testExecError.message.split('\n')[0]}`);
    process.stderr.write(`${lines.join('\n')}\n`);
  }
}

module.exports = ProgressReporter;
