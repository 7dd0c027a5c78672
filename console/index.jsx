// The admin console: a React single-page app on the typed SDK (sdk/), signed in through the
// service's own /authorize. Bundled by scripts/build-explorer.mjs into dist/console/ and served by
// src/http/console.ts under a strict CSP; nothing is loaded from anywhere else.
import { createRoot } from 'react-dom/client';
import { Console } from './console-app';
import './console.css';

createRoot(document.getElementById('console')).render(<Console />);
