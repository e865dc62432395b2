// The case summary's Print button (no inline script: the Content-Security-Policy forbids it).
document.addEventListener("DOMContentLoaded", function () {
  var button = document.getElementById("print-summary");
  if (button) {
    button.addEventListener("click", function () { window.print(); });
  }
});
