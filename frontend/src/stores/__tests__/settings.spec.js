import { describe, expect, it } from 'vitest'
import { nextTick } from 'vue'

import { useStubHttp } from '@/__tests__/support/http.js'
import { freshPinia } from '@/__tests__/support/mount.js'

import { useSettingsStore } from '../settings.js'

const server = useStubHttp()

function freshStore() {
  freshPinia()
  return useSettingsStore()
}

describe('settings store', () => {
  it('loads the server copy', async () => {
    server.on('GET', 'settings/', { data: { language: 'de', page_size: 20 } })
    const settings = freshStore()
    await settings.load()
    expect(settings.language).toBe('de')
    expect(settings.pageSize).toBe(20)
  })

  it('saves through PUT and keeps what the server answered', async () => {
    server.on('PUT', 'settings/', { data: { language: 'de', page_size: 50 } })
    const settings = freshStore()
    await settings.save({ language: 'de', pageSize: 50 })
    expect(server.requests[0].data).toEqual({ language: 'de', page_size: 50 })
    expect(settings.pageSize).toBe(50)
  })

  it('keeps the current values when saving fails', async () => {
    server.on('PUT', 'settings/', { status: 400, data: { page_size: ['Too big.'] } })
    const settings = freshStore()
    await expect(settings.save({ language: 'de', pageSize: 1000 })).rejects.toBeTruthy()
    expect(settings.language).toBe('en')
    expect(settings.pageSize).toBe(10)
  })

  it('ignores languages and page sizes it cannot use', () => {
    const settings = freshStore()
    settings.apply({ language: 'fr', pageSize: 0 })
    expect(settings.language).toBe('en')
    expect(settings.pageSize).toBe(10)
  })

  it('remembers the language across a reload', async () => {
    freshStore().apply({ language: 'de', pageSize: 20 })
    await nextTick() // persistence writes after the change is flushed
    const reloaded = freshStore()
    expect(reloaded.language).toBe('de')
    expect(reloaded.pageSize).toBe(20)
  })
})
