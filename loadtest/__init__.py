"""Black-box load tools: the load-test client (``python -m loadtest``) that plays real media to a
server over WebRTC, the capacity study and the churn soak that drive whole servers from outside,
the headless client peer, and the load media encoded once as packets
(:mod:`loadtest.encoded_media`, made from :mod:`testmedia.sources`)."""
