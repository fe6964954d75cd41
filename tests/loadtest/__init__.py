"""The load tools themselves: the load client, the capacity study and the soak."""
