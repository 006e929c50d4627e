// Every visible string is translated: both languages have the same keys, no message is empty,
// every message compiles, and every key the code uses exists.
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { describe, expect, it } from 'vitest'

import { compileMessage } from '../../build-plugins/vue-i18n.js'
import { SUPPORTED_LANGUAGES, createAppI18n } from '../i18n.js'
import { JOB_LANGUAGES, JOB_PHASES, JOB_STATUSES } from '../rest/jobs-adapter.js'

const srcDir = dirname(dirname(fileURLToPath(import.meta.url)))
const load = (language) =>
  JSON.parse(readFileSync(join(srcDir, 'locales', `${language}.json`), 'utf8'))

function flatten(tree, prefix = '') {
  return Object.entries(tree).flatMap(([key, value]) =>
    typeof value === 'object' ? flatten(value, `${prefix}${key}.`) : [[`${prefix}${key}`, value]],
  )
}

function sourceFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === '__tests__') return []
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return /\.(vue|js)$/.test(entry.name) ? [path] : []
  })
}

const catalogs = Object.fromEntries(SUPPORTED_LANGUAGES.map((lang) => [lang, flatten(load(lang))]))
const keysOf = (lang) => new Set(catalogs[lang].map(([key]) => key))

describe('translations', () => {
  it.each(SUPPORTED_LANGUAGES)('%s has every key the other languages have', (language) => {
    const missing = SUPPORTED_LANGUAGES.flatMap((other) =>
      [...keysOf(other)].filter((key) => !keysOf(language).has(key)),
    )
    expect(missing).toEqual([])
  })

  it.each(SUPPORTED_LANGUAGES)('%s has no empty or non-text message', (language) => {
    const bad = catalogs[language].filter(([, value]) => typeof value !== 'string' || !value.trim())
    expect(bad).toEqual([])
  })

  it.each(SUPPORTED_LANGUAGES)('%s messages all compile', (language) => {
    for (const [key, value] of catalogs[language]) {
      expect(() => compileMessage(value, key), key).not.toThrow()
    }
  })

  it('has a message for every key the code names', () => {
    const literalKey = /\bt\(\s*'([a-zA-Z0-9_.]+)'/g
    const used = new Set()
    for (const file of sourceFiles(srcDir)) {
      for (const match of readFileSync(file, 'utf8').matchAll(literalKey)) used.add(match[1])
    }
    // Keys built at run time: `status.${status}`, `nav.${tab}`, ...
    for (const status of ['all', ...JOB_STATUSES]) used.add(`status.${status}`)
    for (const tab of ['list', 'form', 'settings']) used.add(`nav.${tab}`)
    for (const language of [...SUPPORTED_LANGUAGES, ...JOB_LANGUAGES])
      used.add(`languages.${language}`)
    for (const kind of ['csv', 'report', 'archive']) used.add(`detail.download.${kind}`)
    for (const source of ['text', 'file']) used.add(`form.sources.${source}`)
    for (const type of ['numeric', 'text', 'empty']) used.add(`results.types.${type}`)
    for (const phase of JOB_PHASES) used.add(`phases.names.${phase}`)
    for (const state of ['done', 'current', 'upcoming']) used.add(`phases.states.${state}`)

    expect(used.size).toBeGreaterThan(50)
    expect([...used].filter((key) => !keysOf('en').has(key))).toEqual([])
  })

  it('renders the compiled messages with their parameters, in both languages', () => {
    const i18n = createAppI18n('en')
    const { t } = i18n.global
    expect(t('list.page', { page: 2, pages: 5 })).toBe('Page 2 of 5')
    i18n.global.locale.value = 'de'
    expect(t('list.page', { page: 2, pages: 5 })).toBe('Seite 2 von 5')
  })
})

describe('the completeness check', () => {
  it('notices a key missing in one language', () => {
    const en = new Set(flatten({ a: 'x', b: { c: 'y' } }).map(([key]) => key))
    const de = new Set(flatten({ a: 'x' }).map(([key]) => key))
    expect([...en].filter((key) => !de.has(key))).toEqual(['b.c'])
  })
})
