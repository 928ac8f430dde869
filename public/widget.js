/*! Switchboard chat widget loader. Embed with: <script src="https://YOUR-SWITCHBOARD/widget.js" async></script>
 * Plain JS, no dependencies: adds a launcher button and, on first click, an iframe with the
 * chat app served by the same Switchboard that served this file. */
(function () {
  if (window.__switchboardWidget) return;
  window.__switchboardWidget = true;
  var script = document.currentScript;
  var origin = script ? new URL(script.src, location.href).origin : location.origin;

  var style = document.createElement('style');
  style.textContent =
    '.sb-launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;width:60px;height:60px;border-radius:50%;' +
    'border:0;background:#2f5bea;color:#fff;box-shadow:0 6px 20px rgba(0,0,0,.25);cursor:pointer;font:600 14px system-ui,sans-serif}' +
    '.sb-launcher:focus-visible{outline:3px solid #9db4ff;outline-offset:2px}' +
    '.sb-frame{position:fixed;right:20px;bottom:92px;z-index:2147483000;width:370px;height:560px;max-width:calc(100vw - 40px);' +
    'max-height:calc(100vh - 112px);border:0;border-radius:14px;box-shadow:0 10px 40px rgba(0,0,0,.25);background:#fff}' +
    '.sb-frame[hidden]{display:none}';
  document.head.appendChild(style);

  var button = document.createElement('button');
  button.className = 'sb-launcher';
  button.type = 'button';
  button.setAttribute('aria-label', 'Open chat');
  button.setAttribute('aria-expanded', 'false');
  button.setAttribute('data-switchboard', 'launcher');
  button.textContent = 'Chat';

  var frame = null;
  button.addEventListener('click', function () {
    if (!frame) {
      frame = document.createElement('iframe');
      frame.className = 'sb-frame';
      frame.title = 'Chat with us';
      frame.setAttribute('data-switchboard', 'frame');
      frame.src = origin + '/widget';
      document.body.appendChild(frame);
    } else {
      frame.hidden = !frame.hidden;
    }
    var open = !frame.hidden;
    button.setAttribute('aria-expanded', String(open));
    button.setAttribute('aria-label', open ? 'Close chat' : 'Open chat');
    button.textContent = open ? '×' : 'Chat';
  });

  function mount() { document.body.appendChild(button); }
  if (document.body) mount(); else document.addEventListener('DOMContentLoaded', mount);
})();
