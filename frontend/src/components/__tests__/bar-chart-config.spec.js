import { describe, expect, it } from 'vitest'

import { BAR_COLOR, barChartConfig } from '../bar-chart-config.js'

describe('barChartConfig', () => {
  it('draws horizontal bars from zero, whole numbers on the value axis', () => {
    const config = barChartConfig({
      labels: ['river', 'stone'],
      values: [4, 3],
      horizontal: true,
      wholeNumbers: true,
      locale: 'de',
    })
    expect(config.type).toBe('bar')
    expect(config.data.labels).toEqual(['river', 'stone'])
    expect(config.data.datasets).toEqual([expect.objectContaining({ data: [4, 3] })])
    expect(config.data.datasets[0].backgroundColor).toBe(BAR_COLOR)
    expect(config.options.indexAxis).toBe('y')
    expect(config.options.scales.x).toMatchObject({ beginAtZero: true, ticks: { precision: 0 } })
    expect(config.options.locale).toBe('de')
    expect(config.options.animation).toBe(false)
  })

  it('draws vertical bars with fractions allowed', () => {
    const config = barChartConfig({ labels: ['Min', 'Max'], values: [2.5, 4], locale: 'en' })
    expect(config.options.indexAxis).toBe('x')
    expect(config.options.scales.y.beginAtZero).toBe(true)
    expect(config.options.scales.y.ticks.precision).toBeUndefined()
  })

  it('hands Chart.js copies, so it never writes into the view state', () => {
    const labels = ['a']
    const values = [1]
    const config = barChartConfig({ labels, values })
    expect(config.data.labels).not.toBe(labels)
    expect(config.data.datasets[0].data).not.toBe(values)
  })
})
