/** Vite's client types for the demo: CSS imports and `new URL(..., import.meta.url)` assets. */
/// <reference types="vite/client" />
