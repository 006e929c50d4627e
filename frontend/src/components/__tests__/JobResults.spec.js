import { flushPromises } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'

import { resultsJson } from '@/__tests__/support/http.js'
import { mountWithApp } from '@/__tests__/support/mount.js'
import { normalizeResults } from '@/rest/jobs-adapter.js'

import JobResults from '../JobResults.vue'

const csv = {
  rows: 3,
  columns: 3,
  column_summaries: [
    { name: 'price', type: 'numeric', min: 2.5, max: 4, mean: 3.333333, distinct: 3, empty: 0 },
    { name: 'city', type: 'text', min: null, max: null, mean: null, distinct: 2, empty: 0 },
    { name: 'stock', type: 'numeric', min: 0, max: 12, mean: 6, distinct: 3, empty: 0 },
  ],
}

async function mountResults(props, locale = 'en') {
  const { wrapper } = mountWithApp(JobResults, { props, locale })
  await flushPromises()
  await vi.dynamicImportSettled()
  await flushPromises()
  return wrapper
}

describe('JobResults', () => {
  it('draws no charts unless asked to, so Chart.js is not loaded', async () => {
    const wrapper = await mountResults({ results: normalizeResults(resultsJson({ csv })) })
    expect(wrapper.find('canvas').exists()).toBe(false)
    expect(wrapper.find('[data-testid="top-terms"]').text()).toContain('river')
  })

  it('draws the top terms beside their table, described in words', async () => {
    const wrapper = await mountResults({ results: normalizeResults(resultsJson()), charts: true })
    const chart = wrapper.find('[data-testid="terms-chart"] canvas')
    expect(chart.attributes('role')).toBe('img')
    expect(chart.attributes('aria-label')).toBe('Bar chart of the top terms: river 5, stone 3')
    expect(wrapper.find('[data-testid="top-terms"]').exists()).toBe(true)
    expect(wrapper.find('[data-testid="column-charts"]').exists()).toBe(false)
  })

  it('draws one small chart per numeric CSV column', async () => {
    const wrapper = await mountResults(
      { results: normalizeResults(resultsJson({ csv })), charts: true },
      'de',
    )
    const charts = wrapper.findAll('[data-testid="column-charts"] li')
    expect(charts.map((item) => item.find('h5').text())).toEqual(['price', 'stock'])
    expect(charts[0].find('canvas').attributes('aria-label')).toBe(
      'Balkendiagramm von price: Minimum 2,5, Mittelwert 3,33, Maximum 4',
    )
  })
})
