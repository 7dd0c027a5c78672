// What the server wrote into the page (src/http/console.ts): a non-executed JSON <script>, since
// the CSP forbids inline scripts. `basePath` is where the console lives, e.g. "/console/".
export const pageConfig = JSON.parse(document.getElementById('console-config').textContent);
