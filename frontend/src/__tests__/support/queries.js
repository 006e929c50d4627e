// Finds controls the way a user does: by the label that names them or the text they show.
export function field(wrapper, label) {
  const id = wrapper
    .findAll('label')
    .find((node) => node.text() === label)
    .attributes('for')
  return wrapper.find(`#${id}`)
}

export function buttonNamed(wrapper, text) {
  return wrapper.findAll('button').find((node) => node.text() === text)
}
