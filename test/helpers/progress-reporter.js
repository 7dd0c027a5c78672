// A Jest reporter: one line per test file as it finishes, with the count, the time and the tests
// that failed, each with the first line of why (`summary`, listed after it in jest.config.js,
// prints the failures in full at the end). Plain CommonJS: Jest loads reporters untransformed.
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
      if (assertion.status === 'failed') lines.push(`      ✕ ${assertion.fullName}: ${firstLine(assertion.failureMessages[0])}`);
    }
    if (result.testExecError) lines.push(`      ✕ ${firstLine(result.testExecError.message)}`);
    process.stderr.write(`${lines.join('\n')}\n`);
  }
}

/** The first non-empty line of a failure message, without colours: why, at a glance. */
function firstLine(message = '') {
  // eslint-disable-next-line no-control-regex
  const plain = message.replace(/\u001b\[[0-9;]*m/g, '');
  return plain.split('\n').find((line) => line.trim() !== '') ?? '';
}

module.exports = ProgressReporter;
