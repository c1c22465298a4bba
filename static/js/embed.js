// The registry's label widget for product pages. Paste where the widget should appear:
//   <script src="https://{host}/static/js/embed.js" data-label="{label-id}" async></script>
// It inserts an iframe of https://{host}/embed/{label-id} after itself; the widget always shows the label's current
// status. No cookies, no tracking, nothing read from the host page.
(function () {
  "use strict";
  var scripts = document.querySelectorAll("script[data-label]");
  for (var i = 0; i < scripts.length; i++) {
    var script = scripts[i];
    if (script.getAttribute("data-embedded")) continue;
    var id = script.getAttribute("data-label");
    if (!/^[A-Za-z0-9_-]{16,32}$/.test(id)) continue;
    var origin = new URL(script.src).origin;
    var frame = document.createElement("iframe");
    frame.src = origin + "/embed/" + id;
    frame.title = "碳足迹标识 Carbon footprint label";
    frame.width = "300";
    frame.height = "110";
    frame.loading = "lazy";
    frame.setAttribute("frameborder", "0");
    frame.setAttribute("referrerpolicy", "no-referrer");
    script.setAttribute("data-embedded", "1");
    script.parentNode.insertBefore(frame, script.nextSibling);
  }
})();
