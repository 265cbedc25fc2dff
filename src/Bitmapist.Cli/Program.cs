Console.WriteLine("bitmapist: not written yet");
