/* QMS settings page: uploads the logo with fetch (multipart, with the session's CSRF token),
   shows the server's field error next to the file input, and swaps the preview on success.
   Everything else on the page is plain HTML forms. */
(function () {
  'use strict';
  var form = document.getElementById('logo-form');
  if (!form) return;
  var input = document.getElementById('logo-file');
  var note = document.getElementById('logo-note');
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute('content') : '';
  var MAX = 512 * 1024;
  note.textContent = 'PNG, JPEG or WebP, at most 512 KiB.';

  function problem(text) {
    note.textContent = text;
    note.className = 'field-error';
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  }

  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    var file = input.files && input.files[0];
    if (!file) { problem('Choose an image file.'); return; }
    if (file.size > MAX) { problem('Must be at most 512 KiB.'); return; }
    var body = new FormData();
    body.append('logo', file);
    var button = form.querySelector('button[type=submit]');
    button.disabled = true;
    fetch('/api/merchant/logo', {
      method: 'POST', body: body, credentials: 'same-origin',
      headers: { 'X-CSRF-Token': csrf, 'Accept': 'application/json' }
    }).then(function (res) {
      return res.json().catch(function () { return null; }).then(function (data) {
        button.disabled = false;
        if (!res.ok) {
          var e = (data && data.error) || {};
          var msg = (e.fields && e.fields.logo) || e.message || ('the server answered ' + res.status);
          problem(msg.charAt(0).toUpperCase() + msg.slice(1) + '.');
          return;
        }
        window.location.assign('/dashboard/settings?saved=branding#branding');
      });
    }).catch(function () {
      button.disabled = false;
      problem('Could not reach the server. Try again.');
    });
  });
}());
