"""The live shell: the data-channel protocol, packets, the scheduler and workers, sessions end to
end with aiortc peers, recorded files through the same core."""
