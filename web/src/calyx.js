// Calyx's own browser code: a few Alpine components (registered by name: pages run under a CSP that forbids
// eval, so markup refers to these instead of inline expressions) and the theme editor's live preview.
// Loaded with `defer` before Alpine, so the components exist when Alpine starts.
document.addEventListener('alpine:init', () => {
  // The sidebar on narrow screens: hidden until the menu button opens it.
  window.Alpine.data('sidebar', () => ({
    open: false,
    toggle() { this.open = !this.open; },
    close() { this.open = false; },
    // The panel's extra class: shown on a narrow screen while open (it is always shown on a wide one).
    get panelClass() { return this.open ? '!flex' : ''; },
  }));
  // A dropdown (the user menu): Escape or a click elsewhere closes it.
  window.Alpine.data('dropdown', () => ({
    open: false,
    toggle() { this.open = !this.open; },
    close() { this.open = false; },
  }));
  // A flash message the reader can dismiss.
  window.Alpine.data('dismissable', () => ({
    shown: true,
    dismiss() { this.shown = false; },
  }));
});

// "#rgb", "#rrggbb" or "rgb(r, g, b)" as the "r g b" triplet Tailwind's colours read, or null.
function rgbTriplet(color) {
  let m = /^#([0-9a-f])([0-9a-f])([0-9a-f])$/i.exec(color);
  if (m) return m.slice(1).map((h) => parseInt(h + h, 16)).join(' ');
  m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  if (m) return m.slice(1).map((h) => parseInt(h, 16)).join(' ');
  m = /^rgb\(\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*\)$/i.exec(color);
  if (m && m.slice(1).every((c) => Number(c) <= 255)) return m.slice(1).join(' ');
  return null;
}

// The theme editor: every change to a colour or font field shows at once in the preview panel, through the
// same CSS variables /theme.css sets, before anything is saved.
function previewTheme(form) {
  const preview = document.querySelector('[data-theme-preview]');
  if (!preview) return;
  for (const input of form.querySelectorAll('[data-theme-var]')) {
    const value = input.value.trim();
    const name = input.getAttribute('data-theme-var');
    const triplet = name.startsWith('--color-') ? rgbTriplet(value) : null;
    if (name.startsWith('--color-') && !triplet) {
      // Not a colour (yet): the preview keeps the saved theme's value rather than a broken one.
      preview.style.removeProperty(name);
      preview.style.removeProperty(`${name}-rgb`);
      continue;
    }
    if (value) preview.style.setProperty(name, value);
    else preview.style.removeProperty(name);
    if (triplet) preview.style.setProperty(`${name}-rgb`, triplet);
    // Buttons and links use colours derived from the primary one (kept readable when saved): preview them as it.
    if (triplet && name === '--color-primary') {
      preview.style.setProperty('--color-primary-strong-rgb', triplet);
      preview.style.setProperty('--color-link-rgb', triplet);
    }
  }
}

document.addEventListener('DOMContentLoaded', () => {
  for (const form of document.querySelectorAll('[data-theme-form]')) {
    form.addEventListener('input', () => previewTheme(form));
    previewTheme(form);
  }
  // A colour picker beside a colour text field keeps the two in step.
  for (const picker of document.querySelectorAll('input[type=color][data-for]')) {
    const field = document.getElementById(picker.getAttribute('data-for'));
    if (!field) continue;
    picker.addEventListener('input', () => {
      field.value = picker.value;
      field.dispatchEvent(new Event('input', { bubbles: true }));
    });
    field.addEventListener('input', () => {
      const triplet = rgbTriplet(field.value.trim());
      if (triplet) picker.value = `#${triplet.split(' ').map((c) => Number(c).toString(16).padStart(2, '0')).join('')}`;
    });
  }
});
