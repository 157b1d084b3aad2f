// Tailwind scans the host's pages, the SDK's helpers and the first-party plugins for class names; colours and
// fonts come from the tenant's theme through CSS variables (/theme.css), so one stylesheet serves every tenant.
/** @type {import('tailwindcss').Config} */
module.exports = {
  content: [
    '../host/web/**/*.{cpp,hpp}',
    '../sdk/include/**/*.hpp',
    '../plugins/**/*.{cpp,hpp}',
    './src/**/*.js',
  ],
  // Modules built out of the tree are not scanned: they can count on the component classes of src/app.css and on
  // this dependable set of utilities (docs/sdk.md lists it).
  safelist: [
    { pattern: /^(m|p)(t|b|l|r|x|y)?-(0|1|2|3|4|6|8)$/ },
    { pattern: /^gap-(1|2|3|4|6|8)$/ },
    { pattern: /^(flex|grid|block|inline|inline-block|hidden|flex-col|flex-wrap|grow|shrink-0)$/ },
    { pattern: /^(items|justify)-(start|center|end|between)$/ },
    { pattern: /^grid-cols-(1|2|3|4)$/, variants: ['md', 'lg'] },
    { pattern: /^(w|max-w)-(full|xs|sm|md|lg|xl|2xl|3xl)$/ },
    { pattern: /^text-(xs|sm|base|lg|xl|2xl|left|center|right)$/ },
    { pattern: /^font-(normal|medium|semibold|bold|heading)$/ },
    { pattern: /^(text|bg|border)-(primary|secondary|accent|ink|canvas|link)$/ },
    { pattern: /^(rounded|rounded-md|rounded-lg|border|border-t|border-b|shadow-sm|truncate|italic|underline|sr-only)$/ },
    { pattern: /^(list-disc|list-decimal|space-y-1|space-y-2|space-y-4|overflow-x-auto)$/ },
  ],
  theme: {
    extend: {
      colors: {
        primary: 'rgb(var(--color-primary-rgb) / <alpha-value>)',
        'primary-strong': 'rgb(var(--color-primary-strong-rgb) / <alpha-value>)',
        'on-primary': 'rgb(var(--color-on-primary-rgb) / <alpha-value>)',
        link: 'rgb(var(--color-link-rgb) / <alpha-value>)',
        secondary: 'rgb(var(--color-secondary-rgb) / <alpha-value>)',
        accent: 'rgb(var(--color-accent-rgb) / <alpha-value>)',
        canvas: 'rgb(var(--color-background-rgb) / <alpha-value>)',
        ink: 'rgb(var(--color-text-rgb) / <alpha-value>)',
      },
      fontFamily: {
        sans: ['var(--font-family)'],
        heading: ['var(--font-heading)'],
      },
    },
  },
  plugins: [],
};
