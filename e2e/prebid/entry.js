// The Prebid bundle the e2e spec serves: Prebid core, the User ID module and the UID2 ID submodule,
// exactly as published on npm (prebid.js@11.36.0), bundled the way the package README shows. Nothing
// of ours goes in: the point is that the unchanged module works against our operator.
import pbjs from 'prebid.js';
import 'prebid.js/modules/userId';
import 'prebid.js/modules/uid2IdSystem';

// Runs whatever the page queued on pbjs.que before the bundle loaded, and every later push at once.
pbjs.processQueue();
