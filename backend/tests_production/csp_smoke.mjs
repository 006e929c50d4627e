// Opens pages in Chromium and reports, as JSON on stdout, every Content-Security-Policy violation,
// console error and uncaught exception per page. Run by test_browser.py.
//
// usage: node csp_smoke.mjs <frontend dir> <chromium path> <json: [{url, waitFor}]>
// Playwright comes from the frontend's node_modules (@playwright/test), which owns that install.
import { createRequire } from 'node:module'
import path from 'node:path'

const [frontendDir, executablePath, pagesJson] = process.argv.slice(2)
const require = createRequire(path.join(path.resolve(frontendDir), 'package.json'))
const { chromium } = require('@playwright/test')

// Installed before any page script, so a violation during the first parse is caught too.
// The console error Chromium prints for a violation is caught below as well; both are kept
// because an extension-free headless browser reliably fires the event, while the console text
// names the blocked resource.
function recordViolations() {
  window.__cspViolations = []
  document.addEventListener('securitypolicyviolation', (event) => {
    window.__cspViolations.push({
      directive: event.effectiveDirective,
      blocked: event.blockedURI,
      source: event.sourceFile,
      line: event.lineNumber,
    })
  })
}

const browser = await chromium.launch({
  executablePath,
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
  timeout: 30_000,
})
const results = []
try {
  for (const { url, waitFor, headers } of JSON.parse(pagesJson)) {
    const context = await browser.newContext({ extraHTTPHeaders: headers ?? {} })
    const page = await context.newPage()
    page.setDefaultTimeout(20_000)
    await page.addInitScript(recordViolations)
    const consoleErrors = []
    const pageErrors = []
    const failedRequests = []
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text())
    })
    page.on('pageerror', (error) => pageErrors.push(String(error)))
    page.on('requestfailed', (request) =>
      failedRequests.push(`${request.url()} ${request.failure()?.errorText}`),
    )
    const result = { url, waitFor, found: false }
    try {
      const response = await page.goto(url, { waitUntil: 'load' })
      result.status = response?.status() ?? null
      await page.locator(waitFor).first().waitFor({ state: 'visible' })
      result.found = true
      // Let late module chunks and the first API calls settle.
      await page.waitForLoadState('networkidle')
    } catch (error) {
      result.error = String(error).split('\n')[0]
    }
    result.violations = await page.evaluate(() => window.__cspViolations ?? []).catch(() => [])
    result.consoleErrors = consoleErrors
    result.pageErrors = pageErrors
    result.failedRequests = failedRequests
    result.title = await page.title().catch(() => '')
    results.push(result)
    await context.close()
  }
} finally {
  await browser.close()
}
process.stdout.write(JSON.stringify(results))
