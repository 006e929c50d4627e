import { afterEach, describe, expect, it } from 'vitest'
import { nextTick } from 'vue'

import { mountWithApp } from '@/__tests__/support/mount.js'

import ConfirmDialog from '../ConfirmDialog.vue'

const props = {
  title: 'Delete?',
  message: 'Gone for good.',
  confirmLabel: 'Delete',
  cancelLabel: 'Cancel',
}

let wrapper

afterEach(() => wrapper?.unmount())

async function openDialog() {
  const opener = document.createElement('button')
  document.body.appendChild(opener)
  opener.focus()
  ;({ wrapper } = mountWithApp(ConfirmDialog, { props, attachTo: document.body }))
  await wrapper.setProps({ open: true })
  await nextTick()
  return opener
}

describe('ConfirmDialog', () => {
  it('renders nothing while closed', () => {
    ;({ wrapper } = mountWithApp(ConfirmDialog, { props }))
    expect(wrapper.find('[role="alertdialog"]').exists()).toBe(false)
  })

  it('is a labelled modal that starts on Cancel', async () => {
    await openDialog()
    const dialog = wrapper.find('[role="alertdialog"]')
    expect(dialog.attributes('aria-modal')).toBe('true')
    expect(wrapper.find(`#${dialog.attributes('aria-labelledby')}`).text()).toBe('Delete?')
    expect(wrapper.find(`#${dialog.attributes('aria-describedby')}`).text()).toBe('Gone for good.')
    expect(document.activeElement.textContent.trim()).toBe('Cancel')
  })

  it('keeps Tab inside the dialog', async () => {
    await openDialog()
    const dialog = wrapper.find('[role="alertdialog"]')
    const [cancel, confirm] = dialog.findAll('button')
    confirm.element.focus()
    await dialog.trigger('keydown', { key: 'Tab' })
    expect(document.activeElement).toBe(cancel.element)
    await dialog.trigger('keydown', { key: 'Tab', shiftKey: true })
    expect(document.activeElement).toBe(confirm.element)
  })

  it('emits cancel on Escape and confirm on the button, and returns focus on close', async () => {
    const opener = await openDialog()
    const dialog = wrapper.find('[role="alertdialog"]')
    await dialog.trigger('keydown', { key: 'Escape' })
    await dialog.findAll('button')[1].trigger('click')
    expect(wrapper.emitted('cancel')).toHaveLength(1)
    expect(wrapper.emitted('confirm')).toHaveLength(1)
    await wrapper.setProps({ open: false })
    expect(document.activeElement).toBe(opener)
    opener.remove()
  })

  it('cannot be dismissed while busy', async () => {
    await openDialog()
    await wrapper.setProps({ busy: true })
    await wrapper.find('[role="alertdialog"]').trigger('keydown', { key: 'Escape' })
    expect(wrapper.emitted('cancel')).toBeUndefined()
  })
})
