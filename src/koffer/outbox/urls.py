from koffer.outbox.briefe import urls as briefe

app_name = "outbox"

urlpatterns = [*briefe.urlpatterns]
