// Plain page loads and form posts: every screen works the same with or without JavaScript, and a
// refused form comes back as a page (Turbo Drive would swap it in place). Loaded right after
// viewflow's scripts, before the page is shown (a file, not an inline script: the
// Content-Security-Policy allows no inline script).
if (window.Turbo && Turbo.session) { Turbo.session.drive = false; }
