import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omnichannel.settings")
application = get_wsgi_application()

from omnichannel.startup import require_secrets  # noqa: E402

require_secrets()

# Everything loaded so far lives as long as the process: keep it out of the garbage collector's
# way, or a full collection walking it stalls a request now and then (the p99 of webhooks).
gc.freeze()
