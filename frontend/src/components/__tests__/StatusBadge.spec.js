import { describe, expect, it } from 'vitest'

import { mountWithApp } from '@/__tests__/support/mount.js'

import StatusBadge from '../StatusBadge.vue'

describe('StatusBadge', () => {
  it.each([
    ['pending', 'Pending', 'Wartend'],
    ['processing', 'Processing', 'In Arbeit'],
    ['completed', 'Completed', 'Fertig'],
    ['failed', 'Failed', 'Fehlgeschlagen'],
  ])('says %s in words, not only in colour', (status, english, german) => {
    expect(mountWithApp(StatusBadge, { props: { status } }).wrapper.text()).toContain(english)
    const { wrapper } = mountWithApp(StatusBadge, { props: { status }, locale: 'de' })
    expect(wrapper.text()).toContain(german)
  })

  it('gives each status its own colour', () => {
    const classes = ['pending', 'processing', 'completed', 'failed'].map((status) =>
      mountWithApp(StatusBadge, { props: { status } }).wrapper.classes().join(' '),
    )
    expect(new Set(classes).size).toBe(4)
  })
})
