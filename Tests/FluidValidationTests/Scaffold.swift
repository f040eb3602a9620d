// Scaffold: issue 6 is being written.
