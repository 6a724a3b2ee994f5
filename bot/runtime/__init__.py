"""The running bot: start and stop, live reload, polling schedule, platform locks across instances, ops."""
