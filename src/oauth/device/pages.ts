import type { FastifyReply } from 'fastify';
import { escapeHtml, sendPage } from '../authorize/pages';
import { DEVICE_VERIFICATION_PATH } from './verification-routes';

/** The device verification page's own pages (its sign-in and consent pages are /authorize's). */

export interface UserCodePageInput {
  tx: string;
  csrf: string;
  /** Prefilled (verification_uri_complete, or the code entered before), formatted. */
  userCode?: string;
  error?: string;
}

/** Enter (or confirm a prefilled) user code: nothing is looked up until the user submits it (RFC 8628 §5.4). */
export function userCodePage(reply: FastifyReply, status: number, input: UserCodePageInput): FastifyReply {
  const field = (name: string, value: string) => `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`;
  return sendPage(reply, status, {
    title: 'Connect a device',
    body: `<h1>Connect a device</h1>
<p class="sub">Enter the code shown on your device. Continue only if you started this on a device of your own.</p>
<form method="post" action="${DEVICE_VERIFICATION_PATH}" novalidate>
${field('tx', input.tx)}
${field('csrf', input.csrf)}
<label for="user_code">Code</label>
<input id="user_code" name="user_code" type="text" autocomplete="off" autocapitalize="characters" spellcheck="false" required maxlength="32" value="${escapeHtml(input.userCode ?? '')}" autofocus>
${input.error ? `<p class="alert" role="alert" id="user-code-error">${escapeHtml(input.error)}</p>` : ''}
<div class="actions"><button type="submit">Continue</button></div>
</form>`,
  });
}

/** The end of the verification: the device gets its tokens (approved) or an access_denied (denied). */
export function devicePageDone(reply: FastifyReply, approved: boolean, applicationName: string): FastifyReply {
  const app = `<strong>${escapeHtml(applicationName)}</strong>`;
  return sendPage(reply, 200, {
    title: approved ? 'Device connected' : 'Request denied',
    formAction: [],
    formActionSelf: false,
    body: approved
      ? `<h1>Device connected</h1>\n<p role="status">${app} is now connected. You can return to your device.</p>`
      : `<h1>Request denied</h1>\n<p role="status">${app} was not given access. You can close this page.</p>`,
  });
}
