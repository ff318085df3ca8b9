"""Rules and instant approval (秒批): decisions as data, evaluated by an engine the application asks for."""
