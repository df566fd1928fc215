/** Vite's client types for the volunteer page: CSS imports and worker URLs. */
/// <reference types="vite/client" />
