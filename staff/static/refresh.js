// Lists that refresh themselves: every element with data-refresh="<seconds>" is fetched again
// from the same address and swapped in place, so new work shows up without a reload. A list
// someone is working in (an item ticked, a field focused) is left alone until they are done.
(function () {
  "use strict";
  function busy(region) {
    return region.querySelector("input:checked") !== null || region.contains(document.activeElement);
  }
  function refresh(region) {
    if (document.hidden || busy(region)) return;
    fetch(window.location.href, { headers: { "X-Requested-With": "refresh" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null || busy(region)) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById(region.id);
        if (fresh) {
          region.innerHTML = fresh.innerHTML;
          region.dispatchEvent(new CustomEvent("refreshed", { bubbles: true }));
        }
      })
      .catch(function () { /* offline for a moment: the next round tries again */ });
  }
  document.querySelectorAll("[data-refresh]").forEach(function (region) {
    var seconds = Math.max(1, parseInt(region.getAttribute("data-refresh"), 10) || 15);
    window.setInterval(function () { refresh(region); }, seconds * 1000);
  });
})();
