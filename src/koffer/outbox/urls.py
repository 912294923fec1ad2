from koffer.outbox.briefe import urls as briefe
from koffer.outbox.serienbriefe import urls as serienbriefe

app_name = "outbox"

urlpatterns = [*briefe.urlpatterns, *serienbriefe.urlpatterns]
