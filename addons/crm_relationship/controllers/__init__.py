from . import portal
from . import portal_document
from . import binary_document
from . import portal_asset
