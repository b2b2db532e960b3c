// The browsable docs: Swagger UI (the npm package swagger-ui-dist, served from our own origin,
// no CDN) rendering /functions/v1/openapi.json, and the ERP integration guide. Written to
// docs/site/docs/, which the gateway serves as static assets at /docs/ (wrangler.toml
// [assets]), locally and deployed alike.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { root } from './lib.mjs';

export function buildDocs() {
  const out = join(root, 'docs', 'site', 'docs');
  mkdirSync(out, { recursive: true });
  const ui = join(root, 'node_modules', 'swagger-ui-dist');
  for (const f of ['swagger-ui-bundle.js', 'swagger-ui.css']) copyFileSync(join(ui, f), join(out, f));
  copyFileSync(join(root, 'docs', 'erp-integration.md'), join(out, 'erp-integration.md'));
  writeFileSync(join(out, 'init.js'), "window.ui = SwaggerUIBundle({ url: '/functions/v1/openapi.json', dom_id: '#api', docExpansion: 'list', deepLinking: true });\n");
  writeFileSync(join(out, 'index.html'), `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Eryxon Flow API</title>
  <link rel="stylesheet" href="swagger-ui.css">
  <style>header { font-family: sans-serif; padding: 12px 20px; background: #1b2a3a; color: #fff } header a { color: #9cd3ff }</style>
</head>
<body>
  <header>Eryxon Flow API &middot; <a href="erp-integration.md">ERP integration guide (curl)</a> &middot; <a href="/functions/v1/openapi.json">openapi.json</a></header>
  <div id="api"></div>
  <script src="swagger-ui-bundle.js"></script>
  <script src="init.js"></script>
</body>
</html>
`);
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) buildDocs();
