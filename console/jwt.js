// Reads a JWT's header and payload for display (the Test tab). No verification: the token was just
// issued by this service, and the page only shows what it carries.

const decodeSegment = (segment) => {
  const base64 = segment
    .replace(/-/g, '+')
    .replace(/_/g, '/')
    .padEnd(Math.ceil(segment.length / 4) * 4, '=');
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
};

export function decodeJwt(token) {
  const [header, payload] = token.split('.');
  return { header: decodeSegment(header), payload: decodeSegment(payload) };
}
