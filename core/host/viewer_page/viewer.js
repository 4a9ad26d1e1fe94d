// The leap0 desktop viewer: noVNC's RFB client on the host's own WebSocket.
// The page is only served with the viewer's cookie; the VNC password comes from
// ./session (same cookie), never from the URL.
import RFB from '../novnc/core/rfb.js';

const statusLine = document.getElementById('status');
const screen = document.getElementById('screen');
const RETRY_MS = 2000;

function show(text, error = false) {
  statusLine.textContent = text;
  statusLine.classList.toggle('error', error);
}

async function session() {
  const response = await fetch('session', { credentials: 'same-origin', cache: 'no-store' });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new Error(body.message || `the host answered ${response.status}`);
  }
  return body;
}

async function connect() {
  let info;
  try {
    info = await session();
  } catch (error) {
    show(`${error.message}; retrying`, true);
    setTimeout(connect, RETRY_MS);
    return;
  }
  document.title = info.title;
  document.getElementById('title').textContent = info.title;
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const url = `${scheme}://${location.host}${location.pathname.replace(/[^/]*$/, '')}websockify`;
  const rfb = new RFB(screen, url, { credentials: { password: info.password } });
  rfb.scaleViewport = true;
  rfb.addEventListener('connect', () => show('connected'));
  rfb.addEventListener('securityfailure', (event) => show(`refused: ${event.detail.reason}`, true));
  rfb.addEventListener('disconnect', (event) => {
    if (event.detail.clean) {
      show('disconnected; reconnecting', true);
    } else {
      show('connection lost; reconnecting', true);
    }
    setTimeout(connect, RETRY_MS);
  });
}

connect();
