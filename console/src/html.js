// Tagged templates bound to Preact's h(): components are written as html`<div>...</div>`,
// plain JavaScript that needs no JSX compiler.
import { h } from 'preact';
import htm from 'htm';

export const html = htm.bind(h);
