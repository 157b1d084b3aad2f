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
