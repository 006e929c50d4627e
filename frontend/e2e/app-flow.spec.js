// The whole app against the real stack: Django serving the built assets, a Celery worker doing
// the analysis, mailpit receiving the verification mail. Screenshots of the main views go to
// test-results/screenshots/ (kept as CI artifacts).
import { mkdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

import { expect, test } from '@playwright/test'

import { BAR_COLOR } from '../src/components/bar-chart-config.js'
import { linkParameter, waitForMessageTo } from './mailpit.js'
import { readZip } from './zip.js'

const SCREENSHOT_DIR = fileURLToPath(new URL('../test-results/screenshots/', import.meta.url))
mkdirSync(SCREENSHOT_DIR, { recursive: true })

// UI strings come from the app's own catalogs, so a reworded message does not break the test.
const catalogs = Object.fromEntries(
  ['en', 'de'].map((language) => [
    language,
    JSON.parse(readFileSync(new URL(`../src/locales/${language}.json`, import.meta.url), 'utf8')),
  ]),
)
function message(language, key, params = {}) {
  const text = key.split('.').reduce((node, part) => node[part], catalogs[language])
  return text.replace(/\{(\w+)\}/g, (_, name) => String(params[name]))
}
const en = (key, params) => message('en', key, params)
const de = (key, params) => message('de', key, params)

const account = {
  email: `e2e-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`,
  password: 'Correct-Horse-Battery-42',
}
const TEXT = [
  'The river runs past the old mill.',
  'The river is cold in spring, and the river is loud in autumn.',
  'Children watch the river from the stone bridge.',
].join(' ')
const CSV = 'city,price\nBerlin,3.5\nHamburg,4\nBerlin,2.5\n'

async function screenshot(page, name) {
  await page.screenshot({ path: `${SCREENSHOT_DIR}${name}.png`, fullPage: true })
}

async function download(page, buttonName) {
  const started = page.waitForEvent('download')
  await page.getByRole('button', { name: buttonName }).click()
  const file = await started
  return { name: file.suggestedFilename(), body: readFileSync(await file.path()) }
}

async function signIn(page, password = account.password) {
  await page.getByLabel(en('auth.email')).fill(account.email)
  await page.getByLabel(en('auth.password'), { exact: true }).fill(password)
  await page.getByRole('button', { name: en('auth.submitLogin'), exact: true }).click()
}

async function submitAnalysis(page, { title, text, csv }, { language = 'en', phasesShot } = {}) {
  const ui = (key, params) => message(language, key, params)
  await page.getByRole('tab', { name: ui('nav.form') }).click()
  await page.getByLabel(ui('form.titleLabel'), { exact: true }).fill(title)
  if (csv) {
    await page.getByRole('radio', { name: ui('form.sources.file') }).check()
    await page
      .getByLabel(ui('form.fileLabel'), { exact: true })
      .setInputFiles({ name: 'prices.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) })
  } else {
    await page.getByLabel(ui('form.textLabel'), { exact: true }).fill(text)
  }
  await page.getByRole('button', { name: ui('form.submit') }).click()
  if (phasesShot) {
    // Until its first poll (2 s) the page shows the job as the create call answered: pending.
    await expect(page.getByTestId('job-phases')).toBeVisible()
    await screenshot(page, phasesShot)
  }
  // Pending -> processing -> completed, polled by the page; the worker takes a few seconds.
  await expect(page.getByTestId('job-progress').getByTestId('status-badge')).toHaveText(
    new RegExp(ui('status.completed')),
    { timeout: 90_000 },
  )
  await expect(page.getByTestId('job-results')).toBeVisible()
}

// Pixels of the bars' colour on a chart's canvas: one that failed to draw stays blank.
async function expectChartDrawn(canvas) {
  await expect(canvas).toBeVisible()
  const [red, green, blue] = [1, 3, 5].map((at) => parseInt(BAR_COLOR.slice(at, at + 2), 16))
  await expect
    .poll(() =>
      canvas.evaluate(
        (node, rgb) => {
          const { data } = node.getContext('2d').getImageData(0, 0, node.width, node.height)
          let count = 0
          for (let i = 0; i < data.length; i += 4) {
            if (data[i] === rgb[0] && data[i + 1] === rgb[1] && data[i + 2] === rgb[2]) count += 1
          }
          return count
        },
        [red, green, blue],
      ),
    )
    .toBeGreaterThan(200)
}

test.describe.serial('the app on the real stack', () => {
  test('register, verify, analyse, download, delete, switch language, log out', async ({
    page,
  }) => {
    await test.step('the sign-in form comes from Django through the built assets', async () => {
      await page.goto('/')
      await expect(page.getByRole('heading', { name: en('auth.loginTitle') })).toBeVisible()
      // Manifest mode: the page loads hashed files from /static/assets/, not the Vite server.
      const scripts = await page
        .locator('script[type="module"]')
        .evaluateAll((nodes) => nodes.map((node) => node.getAttribute('src')))
      expect(scripts.some((src) => /^\/static\/assets\/main-[\w-]+\.js$/.test(src))).toBe(true)
      await expect(page.getByTestId('app-version')).toContainText(
        en('version.label', { version: '' }).trim(),
      )
      await screenshot(page, '01-sign-in')
    })

    await test.step('register', async () => {
      await page.getByRole('button', { name: en('auth.toRegister') }).click()
      await page.getByLabel(en('auth.email')).fill(account.email)
      await page.getByLabel(en('auth.newPassword')).fill(account.password)
      await page.getByLabel(en('auth.repeatPassword')).fill(account.password)
      await page.getByRole('button', { name: en('auth.submitRegister') }).click()
      await expect(page.getByTestId('auth-notice')).toHaveText(
        en('auth.registered', { email: account.email }),
      )
      await screenshot(page, '02-registered')
    })

    await test.step('an unverified account cannot sign in yet', async () => {
      await signIn(page)
      await expect(page.getByTestId('auth-error')).toBeVisible()
    })

    await test.step('verify through the link in the mail', async () => {
      const mail = await waitForMessageTo(account.email)
      const key = linkParameter(mail, 'verify-email')
      await page.goto(`/?verify-email=${key}`)
      await expect(page.getByTestId('auth-notice')).toHaveText(en('auth.verified'))
      // The key is taken out of the address, so a reload does not post it again.
      expect(new URL(page.url()).search).toBe('')
    })

    await test.step('sign in and see the empty list', async () => {
      await signIn(page)
      await expect(page.getByRole('tab', { name: en('nav.list') })).toHaveAttribute(
        'aria-selected',
        'true',
      )
      await expect(page.getByTestId('list-empty')).toContainText(en('list.empty'))
      await expect(page.getByTestId('user-menu')).toContainText(account.email)
      await screenshot(page, '03-list-empty')
    })

    await test.step('a reload keeps the session', async () => {
      await page.reload()
      await expect(page.getByRole('tab', { name: en('nav.list') })).toBeVisible()
      await expect(page.getByTestId('user-menu')).toContainText(account.email)
    })

    await test.step('analyse a text until it completes', async () => {
      await submitAnalysis(page, { title: 'River notes', text: TEXT }, { phasesShot: '04a-phases' })
      await expect(page.getByTestId('results.words')).toHaveText('28')
      await expect(page.getByTestId('top-terms').locator('tbody tr').first()).toContainText('river')
      await screenshot(page, '04-analysis-completed')
    })

    await test.step('open the details', async () => {
      await page.getByRole('button', { name: en('form.openDetails') }).click()
      await expect(page.getByRole('heading', { name: 'River notes' })).toBeVisible()
      await expect(page.getByTestId('results.sentences')).toHaveText('3')
      await expectChartDrawn(page.getByTestId('terms-chart').locator('canvas'))
      await expect(page.getByTestId('terms-chart').locator('canvas')).toHaveAttribute(
        'aria-label',
        /river 4/,
      )
      await screenshot(page, '05-detail')
    })

    await test.step('download the CSV, the report and the archive', async () => {
      const csv = await download(page, en('detail.download.csv'))
      expect(csv.name).toMatch(/\.csv$/)
      const rows = csv.body.toString('utf8').trim().split(/\r?\n/)
      expect(rows[0]).toBe('term,count')
      expect(rows[1]).toBe('river,4')

      const report = await download(page, en('detail.download.report'))
      expect(report.name).toMatch(/\.md$/)
      expect(report.body.toString('utf8')).toContain('# River notes')

      const archive = await download(page, en('detail.download.archive'))
      expect(archive.name).toMatch(/\.zip$/)
      const files = readZip(archive.body)
      expect(Object.keys(files).sort()).toEqual(['analysis.json', 'report.md', 'terms.csv'])
      expect(files['terms.csv'].toString('utf8')).toBe(csv.body.toString('utf8'))
      expect(JSON.parse(files['analysis.json'].toString('utf8'))).toMatchObject({
        word_count: 28,
        sentence_count: 3,
        top_terms: expect.arrayContaining([{ term: 'river', count: 4 }]),
      })
    })

    await test.step('analyse an uploaded CSV file', async () => {
      await submitAnalysis(page, { title: 'Prices', csv: CSV })
      await expect(page.getByText(en('results.csvShape', { rows: 3, columns: 2 }))).toBeVisible()
      const price = page.getByTestId('csv-columns').getByRole('row', { name: /price/ })
      await expect(price).toContainText('3.33')
      await screenshot(page, '06-csv-completed')
    })

    await test.step('the details of the CSV job chart its numeric column', async () => {
      await page.getByRole('button', { name: en('form.openDetails') }).click()
      await expect(page.getByRole('heading', { name: 'Prices' })).toBeVisible()
      const columns = page.getByTestId('column-charts').getByRole('listitem')
      await expect(columns).toHaveCount(1)
      await expect(columns.getByRole('heading', { name: 'price' })).toBeVisible()
      await expectChartDrawn(columns.locator('canvas'))
      await expectChartDrawn(page.getByTestId('terms-chart').locator('canvas'))
      await screenshot(page, '06b-csv-detail-charts')
    })

    await test.step('the list shows both, filterable by status', async () => {
      await page.getByRole('tab', { name: en('nav.list') }).click()
      await expect(page.locator('article')).toHaveCount(2)
      await page.getByRole('button', { name: en('status.failed') }).click()
      await expect(page.getByTestId('list-empty')).toHaveText(en('list.emptyFiltered'))
      await page.getByRole('button', { name: en('status.completed') }).click()
      await expect(page.locator('article')).toHaveCount(2)
      await screenshot(page, '07-list')
    })

    await test.step('delete a job after confirming; Escape cancels', async () => {
      await page
        .getByRole('article', { name: 'Prices' })
        .getByRole('button', { name: en('list.view') })
        .click()
      await page.getByRole('button', { name: en('detail.delete') }).click()
      const dialog = page.getByRole('alertdialog')
      await expect(dialog).toBeVisible()
      await expect(dialog.getByRole('button', { name: en('common.cancel') })).toBeFocused()
      await screenshot(page, '08-delete-dialog')
      await page.keyboard.press('Escape')
      await expect(dialog).toBeHidden()

      await page.getByRole('button', { name: en('detail.delete') }).click()
      await dialog.getByRole('button', { name: en('detail.confirmDelete') }).click()
      await expect(page.locator('article')).toHaveCount(1)
      await expect(page.getByRole('article', { name: 'River notes' })).toBeVisible()
    })

    await test.step('switch to German in the settings; it is remembered', async () => {
      await page.getByRole('tab', { name: en('nav.settings') }).click()
      await page.getByLabel(en('settings.language')).selectOption('de')
      await page.getByRole('button', { name: en('settings.save') }).click()
      await expect(page.getByRole('tab', { name: de('nav.list') })).toBeVisible()
      await expect(page.getByText(de('settings.saved'))).toBeVisible()
      await screenshot(page, '09-settings-german')
      await page.reload()
      await expect(page.getByRole('tab', { name: de('nav.settings') })).toHaveAttribute(
        'aria-selected',
        'false',
      )
      await expect(page.locator('html')).toHaveAttribute('lang', 'de')
    })

    await test.step('tabs work from the keyboard', async () => {
      await page.getByRole('tab', { name: de('nav.list') }).focus()
      await page.keyboard.press('ArrowRight')
      await expect(page.getByRole('tab', { name: de('nav.form') })).toBeFocused()
      await expect(page.getByTestId('job-form')).toBeVisible()
    })

    await test.step('in German: the phases while a job runs, the charts once it completed', async () => {
      await submitAnalysis(
        page,
        { title: 'Preise', csv: CSV },
        { language: 'de', phasesShot: '12-phases-german' },
      )
      await page.getByRole('button', { name: de('form.openDetails') }).click()
      await expect(page.getByRole('heading', { name: 'Preise' })).toBeVisible()
      const column = page.getByTestId('column-charts').getByRole('listitem')
      await expect(column.locator('canvas')).toHaveAttribute(
        'aria-label',
        de('results.columnChart', { column: 'price', min: '2,5', mean: '3,33', max: '4' }),
      )
      await expectChartDrawn(column.locator('canvas'))
      await screenshot(page, '13-detail-charts-german')
    })

    await test.step('log out; a reload stays logged out', async () => {
      await page.getByTestId('user-menu').click()
      await page.getByRole('menuitem', { name: de('nav.logout') }).click()
      await expect(page.getByRole('heading', { name: de('auth.loginTitle') })).toBeVisible()
      await screenshot(page, '10-logged-out-german')
      await page.reload()
      await expect(page.getByRole('heading', { name: de('auth.loginTitle') })).toBeVisible()
      const stored = await page.evaluate(() => JSON.parse(localStorage.getItem('auth')))
      expect(stored.token).toBeNull()
    })
  })

  test('a wrong password shows the error', async ({ page }) => {
    await page.goto('/')
    await signIn(page, 'not-the-password-1')
    const error = page.getByTestId('auth-error')
    await expect(error).toBeVisible()
    await expect(error).toHaveAttribute('role', 'alert')
    await expect(page.getByRole('tablist')).toHaveCount(0)
    await screenshot(page, '11-wrong-password')
  })
})
