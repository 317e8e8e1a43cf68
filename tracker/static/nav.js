// The phone menu: the button folds the navigation away on narrow screens (CSS hides it only once this script
// has marked the header), opens and closes it from mouse or keyboard, and Escape closes it again.
(function () {
  var button = document.querySelector('.topbar .nav-button[aria-controls]');
  if (!button) return;
  var header = button.closest('.topbar');
  var nav = document.getElementById(button.getAttribute('aria-controls'));
  function setOpen(open) {
    button.setAttribute('aria-expanded', open ? 'true' : 'false');
    header.classList.toggle('nav-open', open);
  }
  header.classList.add('has-menu-button');
  button.addEventListener('click', function () {
    setOpen(button.getAttribute('aria-expanded') !== 'true');
  });
  document.addEventListener('keydown', function (event) {
    if (event.key !== 'Escape' || button.getAttribute('aria-expanded') !== 'true') return;
    var focusWasInMenu = nav.contains(document.activeElement) || document.activeElement === button;
    setOpen(false);
    if (focusWasInMenu) button.focus();
  });
})();
