// Every link, button and form control a thumb must hit, smaller than 44x44 CSS px
// (WCAG 2.5.5). A radio or checkbox counts by its label (the label is what is tapped);
// a link inside a sentence is exempt (WCAG's inline exception), as is anything hidden.
(minimum) => {
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary';
  const inSentence = (el) => {
    const block = el.closest('p, li, td, dd, label, span.thread-meta');
    if (!block || el.matches('.button, button') || el.closest('.link-row')) return false;
    const own = (el.textContent || '').trim().length;
    const all = (block.textContent || '').replace(/\s+/g, ' ').trim().length;
    return all > own + 2;
  };
  const small = [];
  for (const el of document.querySelectorAll(selector)) {
    if (el.closest('[hidden], .skip-link, .sr-only') || el.getClientRects().length === 0) continue;
    // Inside a closed <details>: not on screen until its summary (measured) is tapped.
    const shut = el.closest('details:not([open])');
    if (shut && el.parentElement.closest('details:not([open])') === shut && !el.matches('summary')) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden') continue;
    let target = el;
    if (el.matches('input[type=radio], input[type=checkbox]') && el.labels && el.labels.length) target = el.labels[0];
    if (el.matches('a') && inSentence(el)) continue;
    const box = target.getBoundingClientRect();
    if (box.width + 0.5 < minimum || box.height + 0.5 < minimum) {
      small.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.className ? '.' + String(el.className).split(' ').join('.') : ''} "${(el.textContent || el.name || '').trim().slice(0, 40)}" ${Math.round(box.width)}x${Math.round(box.height)}`);
    }
  }
  return small;
}
