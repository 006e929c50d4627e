import { flushPromises } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'

import { jobJson, useStubHttp } from '@/__tests__/support/http.js'
import { mountWithApp } from '@/__tests__/support/mount.js'
import { buttonNamed } from '@/__tests__/support/queries.js'

import JobListView from '../JobListView.vue'

const server = useStubHttp()

function page(results, count = results.length) {
  return { data: { count, next: null, previous: null, results } }
}

describe('JobListView', () => {
  it('shows a loading state first', async () => {
    server.on('GET', 'jobs/list/', () => new Promise(() => {}))
    const { wrapper } = mountWithApp(JobListView)
    await flushPromises()
    expect(wrapper.find('[role="status"]').text()).toBe('Loading…')
  })

  it('shows the empty state with a way to start', async () => {
    server.on('GET', 'jobs/list/', page([]))
    const { wrapper } = mountWithApp(JobListView)
    await flushPromises()
    expect(wrapper.find('[data-testid="list-empty"]').text()).toContain('No analyses yet.')
    await buttonNamed(wrapper, 'Start your first analysis').trigger('click')
    expect(wrapper.emitted('create')).toHaveLength(1)
  })

  it('shows an error with a retry', async () => {
    server.on('GET', 'jobs/list/', { status: 500, data: '<!doctype html><title>x</title>' })
    const { wrapper } = mountWithApp(JobListView)
    await flushPromises()
    expect(wrapper.find('[role="alert"]').text()).toContain('The server had a problem (error 500)')

    server.on('GET', 'jobs/list/', page([jobJson()]))
    await buttonNamed(wrapper, 'Try again').trigger('click')
    await flushPromises()
    expect(wrapper.findAll('article')).toHaveLength(1)
  })

  it('shows cards with status text and the actions', async () => {
    server.on(
      'GET',
      'jobs/list/',
      page([
        jobJson({ id: 1, title: 'Done' }),
        jobJson({ id: 2, title: 'Busy', status: 'processing' }),
      ]),
    )
    const { wrapper } = mountWithApp(JobListView)
    await flushPromises()
    const cards = wrapper.findAll('article')
    expect(cards.map((card) => card.find('h3').text())).toEqual(['Done', 'Busy'])
    expect(cards[0].find('[data-testid="status-badge"]').text()).toContain('Completed')
    expect(cards[1].find('[data-testid="status-badge"]').text()).toContain('Processing')
    expect(buttonNamed(cards[1], 'Download').attributes('disabled')).toBeDefined()

    await buttonNamed(cards[0], 'View').trigger('click')
    expect(wrapper.emitted('view')).toEqual([[1]])
  })

  it('downloads the archive of a completed job', async () => {
    window.URL.createObjectURL = vi.fn(() => 'blob:x')
    window.URL.revokeObjectURL = vi.fn()
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => {})
    server
      .on('GET', 'jobs/list/', page([jobJson({ id: 4 })]))
      .on('GET', 'jobs/download-archive/4/', { data: new Blob(['PK']) })
    const { wrapper } = mountWithApp(JobListView)
    await flushPromises()
    await buttonNamed(wrapper, 'Download').trigger('click')
    await flushPromises()
    expect(server.requestsTo('GET', 'jobs/download-archive/4/')).toHaveLength(1)
    expect(click).toHaveBeenCalledOnce()
  })

  it('filters by status from page 1, with the pressed filter marked', async () => {
    server.on('GET', 'jobs/list/', page([jobJson()], 25))
    const { wrapper } = mountWithApp(JobListView)
    await flushPromises()
    await buttonNamed(wrapper, 'Next').trigger('click')
    await flushPromises()
    await buttonNamed(wrapper, 'Failed').trigger('click')
    await flushPromises()

    const params = server.requests.map((request) => request.params)
    expect(params).toEqual([
      { page: 1, page_size: 10 },
      { page: 2, page_size: 10 },
      { page: 1, page_size: 10, status: 'failed' },
    ])
    expect(buttonNamed(wrapper, 'Failed').attributes('aria-pressed')).toBe('true')
    expect(buttonNamed(wrapper, 'All').attributes('aria-pressed')).toBe('false')
  })

  it('pages with the page size from the settings', async () => {
    localStorage.setItem('settings', JSON.stringify({ language: 'en', pageSize: 5 }))
    server.on('GET', 'jobs/list/', page([jobJson()], 12))
    const { wrapper } = mountWithApp(JobListView)
    await flushPromises()
    expect(server.requests[0].params.page_size).toBe(5)
    expect(wrapper.text()).toContain('Page 1 of 3')
    expect(buttonNamed(wrapper, 'Previous').attributes('disabled')).toBeDefined()
  })

  it('says when a filter matches nothing', async () => {
    server.on('GET', 'jobs/list/', page([]))
    const { wrapper } = mountWithApp(JobListView)
    await flushPromises()
    await buttonNamed(wrapper, 'Pending').trigger('click')
    await flushPromises()
    expect(wrapper.find('[data-testid="list-empty"]').text()).toBe('No analyses with this status.')
  })
})
