import { posix } from 'node:path';
import type { NewFinding } from '../findings.js';
import type { ImageView } from '../view.js';

/**
 * Recently changed files under web roots (issue 12, question 2). A changed page is not a compromise: a
 * script changed in the window is low, a hidden script or one in an upload directory is medium; the
 * content decides more (the webshell rules are high or critical on their own).
 */
const ROOTS = [
  '/var/www',
  '/srv/www',
  '/srv/http',
  '/usr/share/nginx/html',
  '/var/lib/tomcat9/webapps',
  '/opt/lampp/htdocs',
];
const SCRIPT = /\.(php\d?|phtml|phar|jsp|jspx|asp|aspx|ashx|cgi|pl|py|sh)$/i;

export function checkWebRoots(view: ImageView): NewFinding[] {
  const out: NewFinding[] = [];
  for (const root of ROOTS)
    for (const e of view.under(root)) {
      if (e.type !== 'r' || !view.changedInWindow(e) || !SCRIPT.test(e.path)) continue;
      const hidden = posix.basename(e.path).startsWith('.');
      const upload = /\/(uploads?|files|images|media|tmp|cache)\//i.test(e.path);
      out.push({
        category: 'access',
        severity: hidden || upload ? 'medium' : 'low',
        title: `${hidden ? 'Hidden script' : 'Script'} ${upload ? 'in an upload directory ' : ''}under the web root changed in the examination window`,
        path: e.path,
        time: view.time(e),
        evidence: `${e.size} bytes, mode ${e.mode}, uid ${e.uid}`,
        source: 'timeline:webroot',
      });
    }
  return out;
}
