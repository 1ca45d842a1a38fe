// Psoas Coach full chat page: the same chat as the widget (coach-chat.js, built into coach.js
// by the server), mounted into the page instead of a floating panel.
(function () {
  "use strict";
  var target = document.getElementById("chat");
  if (!window.PsoasCoach || typeof window.PsoasCoach.mount !== "function") {
    target.textContent = "The chat could not load. Please reload the page.";
    return;
  }
  window.PsoasCoach.mount(target, {});
})();
