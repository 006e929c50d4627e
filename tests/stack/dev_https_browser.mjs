// Chromium against a DEV_HTTPS stack (test_dev_https.py): loads the app, waits for Vite's HMR
// websocket, logs in to the admin (a session login, CSRF checked) and prints what it saw as
// JSON. Chromium trusts the stack's CA only through the NSS database in $HOME/.pki/nssdb that
// the caller made: no flag here relaxes certificate checks.
//
// Usage: node dev_https_browser.mjs FRONTEND_DIR APP_URL EMAIL PASSWORD
import { createRequire } from 'node:module'
import path from 'node:path'

const [frontendDir, appUrl, email, password] = process.argv.slice(2)
const { chromium } = createRequire(path.join(frontendDir, 'package.json'))('@playwright/test')

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  // --no-sandbox: the tests run as root, where Chromium's sandbox refuses to start.
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
})
const result = { websockets: [], console: [] }
try {
  const page = await browser.newPage()
  page.on('websocket', (ws) => result.websockets.push(ws.url()))
  page.on('console', (message) => result.console.push(message.text()))
  // Vite's client logs "[vite] connected." once its HMR websocket is open.
  const hmrConnected = page
    .waitForEvent('console', {
      predicate: (message) => message.text().includes('[vite] connected'),
      timeout: 60_000,
    })
    .then(() => true)
    .catch(() => false)
  try {
    await page.goto(appUrl, { waitUntil: 'load' })
  } catch (error) {
    // An untrusted certificate ends here (net::ERR_CERT_AUTHORITY_INVALID).
    result.error = error.message
    console.log(JSON.stringify(result))
    process.exit(0)
  }
  result.hmrConnected = await hmrConnected
  result.appMounted = (await page.locator('#vue-app > *').count()) > 0

  await page.goto(new URL('/admin/login/', appUrl).href)
  await page.fill('input[name=username]', email)
  await page.fill('input[name=password]', password)
  // 302 to the admin once logged in; 403 when CSRF's origin check refused the form.
  const [login] = await Promise.all([
    page.waitForResponse((response) => response.request().method() === 'POST'),
    page.click('[type=submit]'),
  ])
  result.loginStatus = login.status()
  await page.waitForLoadState('load')
  result.adminUrl = page.url()
  result.cookies = (await page.context().cookies()).map(({ name, secure, httpOnly }) => ({ name, secure, httpOnly }))
  console.log(JSON.stringify(result))
} finally {
  await browser.close()
}
