/* QMS customer pages' service worker: it only shows the "your turn" notification on phones
   that cannot use `new Notification()`, and brings the page back when it is tapped. It
   controls nothing and caches nothing. */
self.addEventListener("notificationclick", function (e) {
  e.notification.close();
  var url = e.notification.data && e.notification.data.url;
  e.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (list) {
    for (var i = 0; i < list.length; i++) {
      if (list[i].url === url && "focus" in list[i]) return list[i].focus();
    }
    return url ? self.clients.openWindow(url) : undefined;
  }));
});
