// After django-otp-webauthn registers a passkey, go where the page says (a served file: CSP).
document.addEventListener("otp_webauthn.register_complete", () => {
  const done = document.getElementById("passkey-done-url");
  if (done) window.location.assign(done.dataset.url);
});
